from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

app = FastAPI()
app.add_middleware(
    CORSMiddleware,
    allow_origins=["https://app.example.com"],
    allow_methods=["*"],
    allow_headers=["*"],
)


@app.get("/items")
def items():
    return []


@app.get("/invoices")
def invoices():
    rows = [{"total": "12.50"}]
    return [float(r["amount"]) for r in rows]
