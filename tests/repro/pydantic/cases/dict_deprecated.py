from pydantic import BaseModel


class User(BaseModel):
    id: int
    name: str


user = User.parse_obj({"id": 1, "name": "ann"})
print(user.dict())
