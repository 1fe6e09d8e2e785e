// Causal grouped-query attention over the KV cache, one query row per workgroup:
//   out[t, h, :] = Σ_{j ≤ pos0+t} softmax_j(SCALE · q[t, h]·k[j, g]) · v[j, g],  g = h / (H / KVH)
// Keys are visited in tiles of 64 with an online (running max, running sum) softmax, so any
// context length fits in fixed workgroup memory.
// Bindings: 1 step · 2 q[T, H·HD] · 3 out[T, H·HD] · 6 k_cache[CTX, KVH·HD] · 7 v_cache
// Dispatch: (H, T).  CPU reference: cpu::attention.
#include "common/step.wgsl"
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read> k_cache: array<f32>;
@group(0) @binding(7) var<storage, read> v_cache: array<f32>;

const WG: u32 = 64u;
const PER: u32 = (HD + WG - 1u) / WG; // output dims per thread
const NEG: f32 = -3.0e38;

var<workgroup> qs: array<f32, HD>;
var<workgroup> probs: array<f32, WG>;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let h = wid.x;
    let t = wid.y;
    if t >= step.n_tokens {
        return;
    }
    let g = h / (H / KVH);
    let n_keys = step.pos0 + t + 1u;
    let qbase = (t * H + h) * HD;
    for (var d = lid.x; d < HD; d += WG) {
        qs[d] = q[qbase + d];
    }
    workgroupBarrier();

    var m = NEG;
    var l = 0.0;
    var acc: array<f32, PER>;
    for (var j0 = 0u; j0 < n_keys; j0 += WG) {
        let j = j0 + lid.x;
        var s = NEG;
        if j < n_keys {
            let kbase = (j * KVH + g) * HD;
            var dotv = 0.0;
            for (var d = 0u; d < HD; d++) {
                dotv += qs[d] * k_cache[kbase + d];
            }
            s = dotv * SCALE;
        }
        red[lid.x] = s;
        workgroupBarrier();
        for (var w = WG / 2u; w > 0u; w /= 2u) {
            if lid.x < w {
                red[lid.x] = max(red[lid.x], red[lid.x + w]);
            }
            workgroupBarrier();
        }
        let m_new = max(m, red[0]);
        workgroupBarrier();
        var pj = 0.0;
        if j < n_keys {
            pj = exp(s - m_new);
        }
        probs[lid.x] = pj;
        red[lid.x] = pj;
        workgroupBarrier();
        for (var w = WG / 2u; w > 0u; w /= 2u) {
            if lid.x < w {
                red[lid.x] += red[lid.x + w];
            }
            workgroupBarrier();
        }
        let corr = exp(m - m_new);
        l = l * corr + red[0];
        let n_tile = min(WG, n_keys - j0);
        for (var e = 0u; e < PER; e++) {
            let d = lid.x + WG * e;
            if d < HD {
                var sum = 0.0;
                for (var jj = 0u; jj < n_tile; jj++) {
                    sum += probs[jj] * v_cache[((j0 + jj) * KVH + g) * HD + d];
                }
                acc[e] = acc[e] * corr + sum;
            }
        }
        m = m_new;
        workgroupBarrier();
    }
    for (var e = 0u; e < PER; e++) {
        let d = lid.x + WG * e;
        if d < HD {
            out[qbase + d] = acc[e] / l;
        }
    }
}
