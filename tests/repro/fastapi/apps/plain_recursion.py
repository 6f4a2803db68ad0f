# Near miss for the circular-dependency cause: ordinary unbounded recursion, no FastAPI involved.
def walk(node):
    return walk({"parent": node})


walk({})
