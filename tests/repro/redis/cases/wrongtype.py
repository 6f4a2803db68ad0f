import os

import redis

r = redis.Redis.from_url(os.environ["REDIS_URL"])
r.delete("kb:repro:user:42")
r.hset("kb:repro:user:42", mapping={"name": "Ada"})  # one part of the code stores a hash
r.get("kb:repro:user:42")  # another part reads it as a string
