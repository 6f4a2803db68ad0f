import os

import redis

r = redis.Redis.from_url(os.environ["REDIS_URL"])
payload = "x" * 100_000
for i in range(200):  # about 20 MB of cache entries
    r.set(f"cache:page:{i}", payload)
print("stored 200 entries")
