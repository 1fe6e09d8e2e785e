// Greedy pick on the GPU: out[0] = the index of the largest of x[0..N) (the lowest index wins
// ties; NaN never wins), so the greedy path reads back 4 bytes per token instead of N logits.
// One workgroup: invocation i scans i, i+WG, …, then the WG partial results are merged:
// - SUBGROUPS (the CPU emulations' SIMD subgroups of SG = 4 or 8 lanes): one subgroup, merged by
//   `subgroupMax` of an order-preserving key and `subgroupMin` of the index: no barrier and no
//   workgroup memory (SwiftShader compiles it in 8 ms instead of 32, on the path to a load's
//   first token; the scan is the same work either way, one thread per workgroup there).
// - else 64 invocations and a single barrier, after which invocation 0 scans the 64 partial
//   results (SwiftShader compiles each barrier into code per 4-lane subgroup: 256 invocations
//   with a tree reduction took it 0.2 s to compile).
// Bindings: 2 x[N] (f32) · 3 out[1] (u32).  Dispatch: (1).  CPU reference: generate::argmax.
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

#ifdef SUBGROUPS
const WG: u32 = SG;
#else
const WG: u32 = 64u;
var<workgroup> best_v: array<f32, WG>;
var<workgroup> best_i: array<u32, WG>;
#endif

// NaN, from the bits (compilers may fold `v != v` to false: ordered comparisons).
fn is_nan(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Whether (v, i) beats (bv, bi): larger, or equal with a lower index; NaN loses to anything.
fn beats(v: f32, i: u32, bv: f32, bi: u32) -> bool {
    if is_nan(v) {
        return false;
    }
    return is_nan(bv) || v > bv || (v == bv && i < bi);
}

#ifdef SUBGROUPS
// A u32 ordered as the f32 `v` is: NaN lowest, −0 as +0.
fn order_key(v: f32) -> u32 {
    if is_nan(v) {
        return 0u;
    }
    let b = bitcast<u32>(select(v, 0.0, v == 0.0));
    return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}
#endif

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
    var bv = x[min(lid, N - 1u)];
    var bi = min(lid, N - 1u);
    for (var i = lid + WG; i < N; i += WG) {
        let v = x[i];
        if beats(v, i, bv, bi) {
            bv = v;
            bi = i;
        }
    }
#ifdef SUBGROUPS
    let key = order_key(bv);
    let best = subgroupMin(select(0xffffffffu, bi, key == subgroupMax(key)));
    if lid == 0u {
        out[0] = best;
    }
#else
    best_v[lid] = bv;
    best_i[lid] = bi;
    workgroupBarrier();
    if lid == 0u {
        for (var k = 1u; k < WG; k++) {
            if beats(best_v[k], best_i[k], bv, bi) {
                bv = best_v[k];
                bi = best_i[k];
            }
        }
        out[0] = bi;
    }
#endif
}
