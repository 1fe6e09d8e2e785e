// Causal grouped-query attention for one query row per workgroup, its keys split across the
// invocations (flash-decoding inside a workgroup): invocation i scores keys i, i+WG, … with its
// own online softmax (running max m, sum l, accumulator acc), and after the single barrier the
// invocations of the first HD/4 lanes merge the WG partial results for their dim quad:
//   out[t, h, :] = Σ_i e^{m_i−M}·acc_i / Σ_i e^{m_i−M}·l_i,  M = max_i m_i
// No per-key barriers (each is a fiber or coroutine switch on CPU emulations), so decode's
// single query row keeps every lane busy.  g = h / (H / KVH).
// Bindings: 1 step · 2 q[T, H·HD] · 3 out[T, H·HD] · 6 k_cache[CTX, KVH·HD] · 7 v_cache
// WG is the workgroup size (8 on the emulators; WG·HD/4 vec4 partials in workgroup memory).
// HD64 (64-wide heads): the per-key steps written out (common/row16.wgsl).
// Dispatch: (H, T). Needs HD % 4 == 0, HD ≤ 256.  CPU reference: cpu::attention.
#include "common/step.wgsl"
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> v_cache: array<vec4<f32>>;

const HD4: u32 = HD / 4u;
const NEG: f32 = -3.0e38;
#include "common/row16.wgsl"

#ifdef HD64
fn k16(i: u32) -> array<vec4<f32>, 16> {
    return array<vec4<f32>, 16>(k_cache[i], k_cache[i + 1u], k_cache[i + 2u], k_cache[i + 3u], k_cache[i + 4u], k_cache[i + 5u], k_cache[i + 6u], k_cache[i + 7u],
                                k_cache[i + 8u], k_cache[i + 9u], k_cache[i + 10u], k_cache[i + 11u], k_cache[i + 12u], k_cache[i + 13u], k_cache[i + 14u], k_cache[i + 15u]);
}
fn v16(i: u32) -> array<vec4<f32>, 16> {
    return array<vec4<f32>, 16>(v_cache[i], v_cache[i + 1u], v_cache[i + 2u], v_cache[i + 3u], v_cache[i + 4u], v_cache[i + 5u], v_cache[i + 6u], v_cache[i + 7u],
                                v_cache[i + 8u], v_cache[i + 9u], v_cache[i + 10u], v_cache[i + 11u], v_cache[i + 12u], v_cache[i + 13u], v_cache[i + 14u], v_cache[i + 15u]);
}
#endif

var<workgroup> part_m: array<f32, WG>;
var<workgroup> part_l: array<f32, WG>;
var<workgroup> part_acc: array<array<vec4<f32>, HD4>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let h = wid.x;
    let t = wid.y;
    let g = h / (H / KVH);
    let qbase = (t * H + h) * HD4;
    let n_keys = step.pos0 + t + 1u;
    var qv: array<vec4<f32>, HD4>;
    var acc: array<vec4<f32>, HD4>;
    for (var d = 0u; d < HD4; d++) {
        qv[d] = q[qbase + d] * SCALE;
        acc[d] = vec4<f32>(0.0);
    }
    var m = NEG;
    var l = 0.0;
    for (var j = lid.x; j < n_keys; j += WG) {
        let kbase = (j * KVH + g) * HD4;
#ifdef HD64
        let s = dot16(qv, k16(kbase));
#else
        var s4 = vec4<f32>(0.0);
        for (var d = 0u; d < HD4; d++) {
            s4 += qv[d] * k_cache[kbase + d];
        }
        let s = s4.x + s4.y + s4.z + s4.w;
#endif
        let m_new = max(m, s);
        let corr = exp(m - m_new);
        let p = exp(s - m_new);
        l = l * corr + p;
#ifdef HD64
        acc = update16(acc, corr, p, v16(kbase));
#else
        for (var d = 0u; d < HD4; d++) {
            acc[d] = acc[d] * corr + p * v_cache[kbase + d];
        }
#endif
        m = m_new;
    }
    part_m[lid.x] = m;
    part_l[lid.x] = l;
    for (var d = 0u; d < HD4; d++) {
        part_acc[lid.x][d] = acc[d];
    }
    workgroupBarrier();
    var big = NEG;
    for (var i = 0u; i < WG; i++) {
        big = max(big, part_m[i]);
    }
    for (var dq = lid.x; dq < HD4; dq += WG) {
        var o = vec4<f32>(0.0);
        var sum = 0.0;
        for (var i = 0u; i < WG; i++) {
            // Invocations that saw no key have l = 0 and contribute nothing.
            let w = select(0.0, exp(part_m[i] - big), part_l[i] > 0.0);
            o += w * part_acc[i][dq];
            sum += w * part_l[i];
        }
        out[qbase + dq] = o / sum;
    }
}
