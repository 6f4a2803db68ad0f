from pydantic import BaseModel


class Event(BaseModel):
    kind: str


body = "kind=created"
event = Event.model_validate_json(body)
