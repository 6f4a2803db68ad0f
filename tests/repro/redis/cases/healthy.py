import os

import redis

r = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=5)
r.set("kb:repro:healthy", "ok", ex=60)
print("GET kb:repro:healthy ->", r.get("kb:repro:healthy"))
print("socket_timeout=5, no Timeout reading from socket seen")
