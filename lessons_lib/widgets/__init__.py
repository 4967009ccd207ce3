"""ipywidgets for the lessons. Each widget lives in its own module and holds no logic of its own:
it calls the same `lessons_lib` functions a learner could call in a cell.

    from lessons_lib.widgets.chat import ChatWidget
"""
