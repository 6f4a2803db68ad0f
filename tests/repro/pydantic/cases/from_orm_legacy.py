from pydantic import BaseModel


class Row:
    id = 1
    name = "ann"


class UserOut(BaseModel):
    id: int
    name: str


print(UserOut.from_orm(Row()))
