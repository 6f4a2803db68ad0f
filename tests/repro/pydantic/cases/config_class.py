from pydantic import BaseModel


class User(BaseModel):
    name: str

    class Config:
        extra = "forbid"


print(User(name="ann"))
