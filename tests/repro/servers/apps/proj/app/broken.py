import redis
from fastapi import FastAPI

app = FastAPI()
cache = redis.Redis()
