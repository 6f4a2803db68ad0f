import os

import redis

# REDIS_URL points at a replica (for example after a failover swapped the roles)
r = redis.Redis.from_url(os.environ["REDIS_URL"])
r.set("session:42", "data")
