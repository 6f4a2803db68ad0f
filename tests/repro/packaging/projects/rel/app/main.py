from .db import engine

print(engine)
