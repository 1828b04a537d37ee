# doxygen-filter.awk - Doxygen INPUT_FILTER for the public headers.
#
#   awk -f docs/doxygen-filter.awk include/lrc/client.h
#
# The headers document their contract in plain C comments. This filter shows
# Doxygen the same text as documentation, without changing the number of
# lines (so warnings point at the right line of the real header):
#
#  - the first comment of a file                   -> /** @file ... */
#  - a comment directly above a declaration        -> /** ... */
#    (a comment followed by a blank line, such as a section rule, stays
#    plain); when one comment covers several declarations written one below
#    the other, each further one gets "/** @copydoc FIRST */"
#  - a comment after a member on the same line     -> /**< ... */
#  - in documentation text, characters Doxygen would read as commands or
#    HTML (< > % # @ & $ \) are escaped, except inside `code spans` and
#    "quoted text", which Doxygen shows as they are;
#  - indented blocks (examples, tables) become @code / @verbatim blocks.
#
# A declaration ends at its ';' (or at the '}' of an inline function's
# body) outside parentheses and braces. Only declarations without a body
# (prototypes, typedefs, macros) are grouped under one comment.
#
# POSIX awk (mawk, gawk, busybox): no extensions.

{ L[++n] = $0 }

END {
    file_doc_done = 0
    in_decl = 0        # inside a declaration that has not ended yet
    grp = 0            # a doc comment's group of declarations is open
    grp_first = ""     # name of the group's first declaration
    paren = 0
    brace = 0
    in_trailing = 0    # inside a member comment that spans lines
    i = 1
    while (i <= n) {
        line = L[i]
        if (in_trailing) {
            if (index(line, "*/")) {
                print escape_text(substr(line, 1, index(line, "*/") - 1)) substr(line, index(line, "*/"))
                in_trailing = 0
            } else {
                print escape_text(line)
            }
            i++
            continue
        }
        if (line ~ /^[ \t]*\/\*/ && line !~ /^[ \t]*\/\*[*!]/) {
            # A block comment on its own line(s): find its end.
            j = i
            while (j <= n && index(j == i ? substr(L[j], index(L[j], "/*") + 2) : L[j], "*/") == 0)
                j++
            if (j > n)
                j = n
            nxt = (j < n) ? L[j + 1] : ""
            if (in_decl) {
                # Inside a declaration: above a member of a struct, an enum
                # or a union it documents the member; elsewhere (a function
                # body, a parameter list) it stays a plain comment.
                if (decl_aggregate && starts_declaration(nxt))
                    emit_comment(i, j, "/**")
                else
                    for (k = i; k <= j; k++)
                        print L[k]
                i = j + 1
                continue
            }
            if (!file_doc_done) {
                file_doc_done = 1
                emit_comment(i, j, "/** @file")
                grp = 0
            } else if (starts_declaration(nxt)) {
                emit_comment(i, j, "/**")
                grp = 1
                grp_first = ""
            } else {
                for (k = i; k <= j; k++)
                    print L[k]
                grp = 0
            }
            i = j + 1
            continue
        }
        # A code line.
        if (!in_decl) {
            if (line ~ /^[ \t]*$/ || line ~ /^[ \t]*#/ && line !~ /^[ \t]*#[ \t]*define[ \t]/ ||
                line ~ /^[ \t]*}/ || line ~ /^[ \t]*extern[ \t]+"C"/) {
                grp = 0
                print_code(line)
                i++
                continue
            }
            # A declaration starts here.
            in_decl = 1
            paren = 0
            brace = 0
            had_body = 0
            decl_aggregate = (strip_code(line) ~ /(^|[^A-Za-z0-9_])(struct|union|enum)([^A-Za-z0-9_]|$)/ &&
                              strip_code(line) !~ /[()]/)
            name = decl_name(line)
            prefix = ""
            if (grp) {
                if (grp_first == "")
                    grp_first = name
                else if (name != "")
                    prefix = "/** @copydoc " grp_first " */ "
            }
            is_define = (line ~ /^[ \t]*#[ \t]*define[ \t]/)
        }
        if (prefix != "") {
            line = prefix line
            prefix = ""
        }
        print_code(line)
        if (is_define) {
            if (L[i] !~ /\\$/)
                in_decl = 0
        } else if (L[i] !~ /^[ \t]*#/) {
            count_depth(strip_code(L[i]))
            if (index(strip_code(L[i]), "{"))
                had_body = 1
            if (paren <= 0 && brace <= 0 && (strip_code(L[i]) ~ /;[ \t]*$/ || strip_code(L[i]) ~ /}[ \t]*$/)) {
                in_decl = 0
                # A comment above a struct, an enum or a function body
                # documents that one only.
                if (had_body)
                    grp = 0
            }
        }
        i++
    }
}

# True when s begins something a comment above it documents.
function starts_declaration(s) {
    if (s ~ /^[ \t]*$/) return 0
    if (s ~ /^[ \t]*\/[*\/]/) return 0
    if (s ~ /^[ \t]*#/ && s !~ /^[ \t]*#[ \t]*define[ \t]/) return 0
    if (s ~ /^[ \t]*}/) return 0
    if (s ~ /^[ \t]*extern[ \t]+"C"/) return 0
    return 1
}

# The name a declaration line declares, as far as one line tells.
function decl_name(s,    t) {
    if (match(s, /^[ \t]*#[ \t]*define[ \t]+[A-Za-z_][A-Za-z0-9_]*/)) {
        t = substr(s, RSTART, RLENGTH)
        sub(/^[ \t]*#[ \t]*define[ \t]+/, "", t)
        return t
    }
    if (match(s, /\(\*[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*\)/)) {    # pointer to function
        t = substr(s, RSTART + 2, RLENGTH - 3)
        gsub(/[ \t]/, "", t)
        return t
    }
    if (match(s, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) {               # function
        t = substr(s, RSTART, RLENGTH - 1)
        gsub(/[ \t]/, "", t)
        return t
    }
    if (match(s, /[A-Za-z_][A-Za-z0-9_]*[ \t]*;/)) {                # typedef, variable
        t = substr(s, RSTART, RLENGTH - 1)
        gsub(/[ \t]/, "", t)
        return t
    }
    return ""
}

# The code part of a line: without comments and string literals.
function strip_code(s) {
    gsub(/"([^"\\]|\\.)*"/, "\"\"", s)
    gsub(/\/\*.*\*\//, "", s)
    sub(/\/\*.*$/, "", s)
    sub(/\/\/.*$/, "", s)
    return s
}

function count_depth(s,    k, c) {
    for (k = 1; k <= length(s); k++) {
        c = substr(s, k, 1)
        if (c == "(") paren++
        else if (c == ")") paren--
        else if (c == "{") brace++
        else if (c == "}") brace--
    }
}

# A code line, with a comment after the code turned into a member comment.
# Preprocessor lines other than #define keep their comments (#endif /* X */).
function print_code(s,    p, code, rest) {
    if (s ~ /^[ \t]*#/ && s !~ /^[ \t]*#[ \t]*define[ \t]/) {
        print s
        return
    }
    p = index(s, "/*")
    if (p == 0 || substr(s, p, 3) == "/**" || substr(s, p, 3) == "/*!" ||
        substr(s, 1, p - 1) ~ /^[ \t]*$/) {
        print s
        return
    }
    code = substr(s, 1, p - 1)
    rest = substr(s, p + 2)
    if (index(rest, "*/")) {
        print code "/**<" escape_text(substr(rest, 1, index(rest, "*/") - 1)) substr(rest, index(rest, "*/"))
    } else {
        print code "/**<" escape_text(rest)
        in_trailing = 1
    }
}

# Lines i..j, a comment, as documentation opened with `opener`.
#
# Indented blocks (an example, a table) that follow an empty line or a line
# ending with ':', other than list items, are shown as they are: as code
# when they look like C (a line ends with ; { or }), else verbatim. The
# filter drops their " * " decoration, which Doxygen keeps inside blocks.
function emit_comment(i, j, opener,    k, p, s, ind, prev_open, in_list, b, e, m, code) {
    inquote = 0
    for (k = i; k <= j; k++) {
        s = L[k]
        if (k == i) {
            p = index(s, "/*")
            H[k] = substr(s, 1, p - 1) opener
            s = substr(s, p + 2)
        } else if (match(s, /^[ \t]*\*([ \t]|$)/) && substr(s, RLENGTH, 2) != "*/") {
            H[k] = substr(s, 1, RLENGTH)
            s = substr(s, RLENGTH + 1)
        } else {
            H[k] = ""
        }
        T[k] = s
        Z[k] = ""
        p = index(s, "*/")
        if (p) {
            Z[k] = substr(s, p)
            T[k] = substr(s, 1, p - 1)
        }
        IND[k] = match(T[k], /[^ \t]/) ? RSTART - 1 : -1
        BLK[k] = 0
    }
    # Find the blocks.
    prev_open = 0
    in_list = 0
    for (k = i; k <= j; k++) {
        ind = IND[k]
        if (ind < 0) {
            prev_open = 1
            in_list = 0
            continue
        }
        if (T[k] ~ /^[ \t]*([0-9]+\.|-)[ \t]/)
            in_list = 1
        if (k > i && prev_open && !in_list && ind >= 2) {
            b = k
            while (k + 1 <= j && IND[k + 1] >= 2 && Z[k] == "")
                k++
            e = k
            m = 1000
            code = 0
            for (p = b; p <= e; p++) {
                if (IND[p] < m)
                    m = IND[p]
                if (T[p] ~ /[;{}][ \t]*$/)
                    code = 1
            }
            for (p = b; p <= e; p++) {
                BLK[p] = 1
                T[p] = substr(T[p], m + 1)
                sub(/[ \t]+$/, "", T[p])
            }
            OPEN[b - 1] = code ? " @code{.c}" : " @verbatim"
            CLOSE[e] = code ? "@endcode" : "@endverbatim"
            prev_open = 0
            continue
        }
        prev_open = (T[k] ~ /:[ \t]*$/)
    }
    # Emit. The markers go at the end of the line before a block and of its
    # last line: a marker line of its own would add lines, or leave a "*"
    # inside the block.
    for (k = i; k <= j; k++) {
        if (BLK[k]) {
            if (k in CLOSE)
                print T[k] " " CLOSE[k] Z[k]
            else
                print T[k] Z[k]
            delete CLOSE[k]
            continue
        }
        s = escape_text(T[k])
        if (k in OPEN) {
            s = s OPEN[k]
            delete OPEN[k]
        }
        print H[k] s Z[k]
    }
}

# Escapes Doxygen's special characters outside `code spans` and "quoted
# text" (Doxygen shows both as they are). The quote state carries over the
# lines of one comment (inquote, reset per comment).
function escape_text(t,    out, k, c, incode) {
    out = ""
    incode = 0
    for (k = 1; k <= length(t); k++) {
        c = substr(t, k, 1)
        if (c == "`" && !inquote) {
            incode = !incode
            out = out c
        } else if (c == "\"" && !incode) {
            inquote = !inquote
            out = out c
        } else if (!incode && !inquote && index("\\@<>%#&$", c)) {
            out = out "\\" c
        } else {
            out = out c
        }
    }
    return out
}
