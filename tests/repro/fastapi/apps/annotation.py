# Depends(...) written as the type annotation instead of the default (or inside Annotated).
from fastapi import Depends, FastAPI

app = FastAPI()


def get_db():
    yield {"conn": "orders"}


@app.get("/orders")
def list_orders(db: Depends(get_db)):
    return []
