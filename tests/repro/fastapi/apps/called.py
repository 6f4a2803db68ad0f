# Depends() given the RESULT of calling the dependency instead of the dependency itself.
from fastapi import Depends, FastAPI

app = FastAPI()


def get_db():
    db = {"conn": "orders"}
    try:
        yield db
    finally:
        db.clear()


@app.get("/orders/{order_id}")
def get_order(order_id: int, db=Depends(get_db())):
    return {"id": order_id}
