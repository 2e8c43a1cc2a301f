# Worst-case stack depth of a program, from GCC's -fcallgraph-info=su files.
#
#   awk -v root=main -f stack_usage.awk build/m4-size/obj/*.ci
#
# Each .ci file (VCG format) holds, for one translation unit, a node per
# function defined there with its frame size ("N bytes (static)"), a node per
# external callee (no size), and an edge per direct call. This script joins
# the files into one call graph and computes, from `root`, the maximum over
# call paths of the sum of frame sizes, printing that path.
#
# Limits, said out loud rather than hidden:
#  - indirect calls are not in the graph (the core makes none);
#  - functions without a .ci file (libc: memcpy, memset) count as 0 bytes
#    and are listed;
#  - "dynamic" frames (VLAs, alloca) make the result a lower bound and are
#    flagged; recursion (absent from the core) is flagged and cut.
# A call to a name resolves to the definition in the same file when there is
# one (static functions of the same name may exist in several files), else to
# the definition elsewhere.

function fail(msg) { print "stack_usage: " msg > "/dev/stderr"; bad = 1; exit 1 }

FNR == 1 { file = FILENAME }

/^node:/ {
    if (!match($0, /title: "[^"]*"/)) next
    name = substr($0, RSTART + 8, RLENGTH - 9)
    if (match($0, /\\n[0-9]+ bytes \([a-z,]+\)/)) {
        s = substr($0, RSTART + 2, RLENGTH - 2)
        split(s, parts, " ")
        key = file SUBSEP name
        size[key] = parts[1] + 0
        if (s !~ /\(static\)/) dynamic[key] = s
        defined[key] = 1
        if (name in where) where[name] = where[name] " " file
        else where[name] = file
    }
    next
}

/^edge:/ {
    if (!match($0, /sourcename: "[^"]*"/)) next
    src = substr($0, RSTART + 13, RLENGTH - 14)
    if (!match($0, /targetname: "[^"]*"/)) next
    dst = substr($0, RSTART + 13, RLENGTH - 14)
    n = ++nedges[file SUBSEP src]
    callee[file SUBSEP src, n] = dst
    next
}

# The definition a call from `f` (a file) to `name` reaches.
function resolve(f, name,   k, list, cnt, i, best) {
    k = f SUBSEP name
    if (k in defined) return k
    if (!(name in where)) return ""
    cnt = split(where[name], list, " ")
    if (cnt > 1) ambiguous[name] = 1
    best = list[1] SUBSEP name
    for (i = 2; i <= cnt; i++)
        if (depth(list[i] SUBSEP name) > depth(best)) best = list[i] SUBSEP name
    return best
}

function depth(k,   f, nm, parts, i, n, t, d, m) {
    if (k in memo) return memo[k]
    if (k in onpath) { split(k, parts, SUBSEP); recursive[parts[2]] = 1; return 0 }
    onpath[k] = 1
    split(k, parts, SUBSEP)
    f = parts[1]; nm = parts[2]
    m = 0; next_on_path[k] = ""
    n = nedges[k]
    for (i = 1; i <= n; i++) {
        t = resolve(f, callee[k, i])
        if (t == "") { unknown[callee[k, i]] = 1; continue }
        d = depth(t)
        if (next_on_path[k] == "" || d > m) { m = d; next_on_path[k] = t }
    }
    delete onpath[k]
    memo[k] = size[k] + m
    return memo[k]
}

END {
    if (bad) exit 1
    if (!(root in where)) fail("no frame size for " root " (compile with -fcallgraph-info=su)")
    split(where[root], roots, " ")
    k = roots[1] SUBSEP root
    total = depth(k)
    printf "worst-case stack from %s: %d bytes\n", root, total
    printf "  deepest path (frame bytes):\n"
    while (k != "") {
        split(k, parts, SUBSEP)
        printf "    %-40s %6d  %s\n", parts[2], size[k], parts[1]
        if (k in dynamic) printf "      (frame is %s: the total is a lower bound)\n", dynamic[k]
        k = next_on_path[k]
    }
    for (n in unknown) others = others " " n
    if (others != "") printf "  callees without frame data, counted as 0:%s\n", others
    for (n in recursive) rec = rec " " n
    if (rec != "") printf "  WARNING: recursion through:%s (cut, total is a lower bound)\n", rec
    for (n in ambiguous) amb = amb " " n
    if (amb != "") printf "  note: defined in several files, deepest taken:%s\n", amb
}
