# The fix: close in `finally` (runs on every path) and a plain `def` endpoint, so FastAPI runs the
# blocking Session calls in its threadpool instead of on the event loop.
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
def get_order(order_id: int, db: Session = Depends(get_db)):
    row = db.execute(text("select id, item from orders where id = :id"), {"id": order_id}).first()
    if row is None:
        raise HTTPException(status_code=404, detail="Order not found")
    return {"id": row.id, "item": row.item}


@app.get("/debug/pool")
def debug_pool():
    return pool_state()
