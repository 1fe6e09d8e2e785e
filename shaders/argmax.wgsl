// Greedy pick on the GPU: out[0] = the index of the largest of x[0..N) (the lowest index wins
// ties; NaN never wins), so the greedy path reads back 4 bytes per token instead of N logits.
// One workgroup: thread i scans i, i+64, …, then after a single barrier thread 0 scans the 64
// partial results (SwiftShader compiles each barrier into code per 4-lane subgroup: 256
// invocations with a tree reduction took it 0.2 s to compile, 64 with one barrier 0.03 s).
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
    if lid == 0u {
        for (var k = 1u; k < WG; k++) {
            if beats(best_v[k], best_i[k], bv, bi) {
                bv = best_v[k];
                bi = best_i[k];
            }
        }
        out[0] = bi;
    }
}
