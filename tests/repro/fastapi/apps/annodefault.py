# Depends() both inside Annotated[...] and as the default value.
from typing import Annotated

from fastapi import Depends, FastAPI

app = FastAPI()


def get_db():
    yield {"conn": "orders"}


@app.get("/orders")
def list_orders(db: Annotated[dict, Depends(get_db)] = Depends(get_db)):
    return []
