from pydantic import BaseModel


class UserOut(BaseModel):
    id: int
    name: str

    class Config:
        orm_mode = True


print(UserOut(id=1, name="ann"))
