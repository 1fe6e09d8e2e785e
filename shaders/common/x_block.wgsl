// Activation loads of the rows kernels (matvec_rows, matmul_rows): `x_block(inv, i)` = the 8
// quads x[i .. i+8] (one 32-column block of one token) in every invocation of the subgroup.
// CPU emulations run a subgroup as one SIMD vector and turn each invocation's load into a gather,
// even when every lane reads the same address: on lavapipe those loads took 70% of prefill's
// matmul time. With SG8 (subgroups of exactly 8 lanes: lavapipe) each lane loads one quad,
// with SG4 (4 lanes: SwiftShader) two, and `subgroupBroadcast` hands them to the others.
// Callers keep every lane active and call it in uniform control flow. Needs `x` declared first.
// The entry point takes an `Invocation` (the lane id exists only with SUBGROUPS) and
// `@builtin(workgroup_id)` as a parameter of its own: browsers (Tint) count a struct parameter
// as non-uniform as a whole, and loops bounded by the workgroup id must stay uniform.
struct Invocation {
    @builtin(global_invocation_id) gid: vec3<u32>,
#ifdef SUBGROUPS
    @builtin(subgroup_invocation_id) lane: u32,
#endif
}

fn x_block(inv: Invocation, i: u32) -> array<vec4<f32>, 8> {
#ifdef SG8
    let v = x[i + inv.lane];
    return array<vec4<f32>, 8>(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u),
                               subgroupBroadcast(v, 4u), subgroupBroadcast(v, 5u), subgroupBroadcast(v, 6u), subgroupBroadcast(v, 7u));
#endif
#ifdef SG4
    let v = x[i + inv.lane];
    let u = x[i + 4u + inv.lane];
    return array<vec4<f32>, 8>(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u),
                               subgroupBroadcast(u, 0u), subgroupBroadcast(u, 1u), subgroupBroadcast(u, 2u), subgroupBroadcast(u, 3u));
#endif
#ifndef SUBGROUPS
    return array<vec4<f32>, 8>(x[i], x[i + 1u], x[i + 2u], x[i + 3u], x[i + 4u], x[i + 5u], x[i + 6u], x[i + 7u]);
#endif
}
