# `await` inside a plain `def` dependency: Python rejects the module before FastAPI sees it.
from fastapi import Depends, FastAPI

app = FastAPI()


def get_db():
    db = {"conn": "orders"}
    await db.commit()
    return db


@app.get("/orders")
async def list_orders(db=Depends(get_db)):
    return []
