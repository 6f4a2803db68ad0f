from pydantic import BaseModel, validator


class User(BaseModel):
    name: str

    @validator("name")
    def strip_name(cls, value):
        return value.strip()


print(User(name=" ann "))
