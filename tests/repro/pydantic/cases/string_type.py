from pydantic import BaseModel


class Account(BaseModel):
    account_number: str
    zip_code: str


account = Account(account_number=12345678, zip_code="10115")
