# The JSON writer's C entry point for the compiled parser (_fastparse cimports it): one writer
# for the interchange form and the columns' COMPLEX cells.

cdef object scalar_json(object value)
