// DSTUDY_REGISTER(name, Template, origin) puts a container in the study. It is
// the one line an implementation or peer header adds (at file scope, after the
// template), where Template is `template <class Key, class Value> class` and
// origin says what a reader can do with it:
//   library  a container a user can adopt from a published library (absl,
//            boost, tsl, ska, TBB, the standard library, ...);
//   study    one of the study's own containers (impls/*.h), a subject of the
//            study rather than something to depend on.
// The reports name the best library first and the study's own containers
// beside it (dstudy_bench --list prints the origin; the runner records it).
//
// What registering means is decided by whoever includes the header: the build
// generates, for every header under impls/ that registers, one conformance
// test translation unit and one benchmark translation unit, each defining
// DSTUDY_REGISTER before including the header. Elsewhere it expands to
// nothing. So a header that registers is a leaf: never include it from
// another registering header (shared code goes in impls/core/).
//
// Names: lower_snake_case, unique, no '/' (they become parts of benchmark
// names and result columns).
#pragma once

#ifndef DSTUDY_REGISTER
#define DSTUDY_REGISTER(name, Template, origin)
#endif
