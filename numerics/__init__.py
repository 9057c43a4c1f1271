from .formats import FORMATS, FloatFormat, IntFormat, get_format
