# The "fix" some guides give: `async yield` is not Python syntax.
from fastapi import Depends, FastAPI

app = FastAPI()


async def get_db():
    db = {"conn": "orders"}
    async yield db


@app.get("/orders")
async def list_orders(db=Depends(get_db)):
    return []
