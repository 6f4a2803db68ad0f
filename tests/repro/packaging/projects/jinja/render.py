from jinja2 import Environment, Markup

env = Environment(autoescape=True)
print(Markup("<b>ok</b>"))
