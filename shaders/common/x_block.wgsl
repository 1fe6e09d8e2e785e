// Activation loads of the rows kernels (matvec_rows, matmul_rows): `x_block(inv, i)` = the 8
// quads x[i .. i+8] (one 32-column block of one token) in every invocation of the subgroup.
// CPU emulations run a subgroup as one SIMD vector and turn each invocation's load into a gather,
// even when every lane reads the same address: on lavapipe those loads took 70% of prefill's
// matmul time. With SG8 (subgroups of exactly 8 lanes: lavapipe) each lane loads one quad,
// with SG4 (4 lanes: SwiftShader) two, and `subgroupBroadcast` hands them to the others.
// Callers keep every lane active and call it in uniform control flow. Needs `x` declared first
// (and with X_SPLIT, decode's attention partials merged as they load, `mat`).
// The entry point takes an `Invocation` (the lane id exists only with SUBGROUPS) and
// `@builtin(workgroup_id)` as a parameter of its own: browsers (Tint) count a struct parameter
// as non-uniform as a whole, and loops bounded by the workgroup id must stay uniform.
struct Invocation {
    @builtin(global_invocation_id) gid: vec3<u32>,
#ifdef SUBGROUPS
    @builtin(subgroup_invocation_id) lane: u32,
#endif
}

#ifdef X_SPLIT
// x holds attention_split.wgsl's SPLIT partial results of one token (X_SPLIT chunks of the
// keys, heads X_HD4 quads wide, X_HD4 % 8 == 0 so a block lies in one head): quad i of the
// attention row is merged from them, Σ_c e^{m_c−M}·acc_c[i] / Σ_c e^{m_c−M}·l_c, M = max_c m_c.
fn x_quad(i: u32) -> vec4<f32> {
    let heads = mat.k4 / X_HD4;
    let ml = X_SPLIT * mat.k4 + i / X_HD4;
    var big = x[ml].x;
    for (var c = 1u; c < X_SPLIT; c++) {
        big = max(big, x[ml + c * heads].x);
    }
    var o = vec4<f32>(0.0);
    var l = 0.0;
    for (var c = 0u; c < X_SPLIT; c++) {
        let part = x[ml + c * heads];
        // A chunk that held no key has l = 0 and contributes nothing.
        let w = select(0.0, exp(part.x - big), part.y > 0.0);
        o += w * x[c * mat.k4 + i];
        l += w * part.y;
    }
    return o / l;
}
#else
fn x_quad(i: u32) -> vec4<f32> {
    return x[i];
}
#endif

#include "common/share_block.wgsl"

fn x_block(inv: Invocation, i: u32) -> array<vec4<f32>, 8> {
#ifdef SG8
    return share_block(x_quad(i + inv.lane));
#endif
#ifdef SG4
    return share_block(x_quad(i + inv.lane), x_quad(i + 4u + inv.lane));
#endif
#ifndef SUBGROUPS
    return array<vec4<f32>, 8>(x_quad(i), x_quad(i + 1u), x_quad(i + 2u), x_quad(i + 3u), x_quad(i + 4u), x_quad(i + 5u), x_quad(i + 6u), x_quad(i + 7u));
#endif
}

#ifdef NORM
// `x_block` with RMSNorm's weights applied, x[i + j]·gamma[g + j], adding this invocation's
// share of Σx² to `ss`: with subgroups the squares of the quads it loaded (subgroupAdd of `ss`
// after the last block is the row's Σx²), without them the whole block's. Needs `gamma` declared.
fn x_block_norm(inv: Invocation, i: u32, g: u32, ss: ptr<function, f32>) -> array<vec4<f32>, 8> {
#ifdef SG8
    let v = x[i + inv.lane];
    *ss += dot(v, v);
    return share_block(v * gamma[g + inv.lane]);
#endif
#ifdef SG4
    let v = x[i + inv.lane];
    let u = x[i + 4u + inv.lane];
    *ss += dot(v, v) + dot(u, u);
    return share_block(v * gamma[g + inv.lane], u * gamma[g + 4u + inv.lane]);
#endif
#ifndef SUBGROUPS
    let v = x_block(inv, i);
    *ss += dot(v[0], v[0]) + dot(v[1], v[1]) + dot(v[2], v[2]) + dot(v[3], v[3]) + dot(v[4], v[4]) + dot(v[5], v[5]) + dot(v[6], v[6]) + dot(v[7], v[7]);
    return array<vec4<f32>, 8>(v[0] * gamma[g], v[1] * gamma[g + 1u], v[2] * gamma[g + 2u], v[3] * gamma[g + 3u],
                               v[4] * gamma[g + 4u], v[5] * gamma[g + 5u], v[6] * gamma[g + 6u], v[7] * gamma[g + 7u]);
#endif
}

// The row's Σx² from the `ss` of `x_block_norm` (called in uniform control flow).
fn row_sum_squares(ss: f32) -> f32 {
#ifdef SUBGROUPS
    return subgroupAdd(ss);
#else
    return ss;
#endif
}
#endif
