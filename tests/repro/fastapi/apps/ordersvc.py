from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.orm import Session

from ordersvc_deps import get_db

app = FastAPI()


@app.get("/orders/count")
def count_orders(db: Session = Depends(get_db)):
    return {"count": db.execute(text("select count(*) from orders")).scalar()}
