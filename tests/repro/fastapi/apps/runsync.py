# Depends() has no run_sync parameter.
from fastapi import Depends, FastAPI

app = FastAPI()


def get_db():
    yield {"conn": "orders"}


@app.get("/orders")
async def list_orders(db=Depends(get_db, run_sync=False)):
    return []
