/* pyrepr.h - Python's repr of a float, shared by JSON text, command IDs
 * and error messages. */
#ifndef LRC_PYREPR_H
#define LRC_PYREPR_H

enum { LRC_PY_FLOAT_LEN = 48 }; /* "-1.2345678901234567e-308" fits with room to spare */

/* Python's repr(float): the shortest text that reads back as x, in fixed
 * notation with at least one decimal for 1e-4 <= |x| < 1e16 ("10.0",
 * "0.1"), else d.ddde+XX ("1e+20", "1.5e-05"); "nan", "inf", "-inf". */
void lrc_py_float_repr(double x, char buf[LRC_PY_FLOAT_LEN]);

#endif
