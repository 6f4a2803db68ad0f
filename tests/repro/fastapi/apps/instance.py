# Depends() given an instance (without __call__) instead of the class or a function.
from fastapi import Depends, FastAPI

app = FastAPI()


class Settings:
    def __init__(self):
        self.dsn = "sqlite:///orders.db"


settings = Settings()


@app.get("/settings")
def read_settings(s: Settings = Depends(settings)):
    return {"dsn": s.dsn}
