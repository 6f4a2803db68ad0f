import imp

loader = imp.find_module("json")
