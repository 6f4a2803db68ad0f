# Session closed correctly (try/finally), but the endpoint is `async def` and uses the sync
# Session: every pool wait and query runs on the event loop thread.
from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy import text
from sqlalchemy.orm import Session

from orders_db import SessionLocal, pool_state

app = FastAPI()


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@app.get("/orders/{order_id}")
async def get_order(order_id: int, db: Session = Depends(get_db)):
    row = db.execute(text("select id, item from orders where id = :id"), {"id": order_id}).first()
    if row is None:
        raise HTTPException(status_code=404, detail="Order not found")
    return {"id": row.id, "item": row.item}


@app.get("/debug/pool")
def debug_pool():
    return pool_state()
