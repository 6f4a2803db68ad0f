import os

import redis

# a plain (non-cluster) client pointed at one node of a Redis Cluster
r = redis.Redis.from_url(os.environ["REDIS_URL"])
for i in range(10):
    r.set(f"user:{i}", "data")
