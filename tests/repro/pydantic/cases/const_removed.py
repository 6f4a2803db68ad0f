from pydantic import BaseModel, Field


class Event(BaseModel):
    kind: str = Field("created", const=True)


print(Event())
