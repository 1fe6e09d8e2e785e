// Greedy pick on the GPU: out[0] = the index of the largest of x[0..N) (the lowest index wins
// ties; NaN never wins), so the greedy path reads back 4 bytes per token instead of N logits.
// One workgroup: thread i scans i, i+64, …, then a tree reduction in workgroup memory (64
// invocations: SwiftShader compiles a barrier per 4-lane subgroup, 256 took it 0.2 s).
// Bindings: 2 x[N] (f32) · 3 out[1] (u32).  Dispatch: (1).  CPU reference: generate::argmax.
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

const WG: u32 = 64u;
var<workgroup> best_v: array<f32, WG>;
var<workgroup> best_i: array<u32, WG>;

// Whether (v, i) beats (bv, bi): larger, or equal with a lower index; NaN loses to anything.
fn beats(v: f32, i: u32, bv: f32, bi: u32) -> bool {
    if v != v {
        return false;
    }
    return bv != bv || v > bv || (v == bv && i < bi);
}

@compute @workgroup_size(64)
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
    best_v[lid] = bv;
    best_i[lid] = bi;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if lid < s && beats(best_v[lid + s], best_i[lid + s], best_v[lid], best_i[lid]) {
            best_v[lid] = best_v[lid + s];
            best_i[lid] = best_i[lid + s];
        }
        workgroupBarrier();
    }
    if lid == 0u {
        out[0] = best_i[0];
    }
}
