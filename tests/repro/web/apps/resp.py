from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class User(BaseModel):
    id: int
    email: str


USERS = {1: {"id": 1, "mail": "a@example.com"}}


@app.get("/users/{uid}", response_model=User)
def get_user(uid: int):
    return USERS.get(uid)
