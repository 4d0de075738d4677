# The parts of CPython's C API that both compiled modules use and Cython does not declare.
from cpython.object cimport PyObject

cdef extern from "Python.h":
    ctypedef unsigned char Py_UCS1
    int PyUnicode_1BYTE_KIND
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    object PyUnicode_Substring(object s, Py_ssize_t start, Py_ssize_t end)
    const char* PyUnicode_AsUTF8AndSize(object text, Py_ssize_t* size) except NULL
    object PyUnicode_DecodeUTF8(const char* s, Py_ssize_t size, const char* errors)
    PyObject* PyDict_GetItemWithError(object d, object key) except? NULL
    int PyDict_Next(object d, Py_ssize_t* pos, PyObject** key, PyObject** value)
    long PyLong_AsLongAndOverflow(object o, int* overflow) except? -1
    long long PyLong_AsLongLongAndOverflow(object o, int* overflow) except? -1
    int _PyTuple_Resize(PyObject** p, Py_ssize_t newsize) except -1
