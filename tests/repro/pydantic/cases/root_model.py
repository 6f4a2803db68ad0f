from pydantic import BaseModel


class Tags(BaseModel):
    __root__: list[str]


print(Tags.parse_obj(["a", "b"]))
