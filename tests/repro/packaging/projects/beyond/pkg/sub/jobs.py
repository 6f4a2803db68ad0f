from ...config import settings

print(settings)
