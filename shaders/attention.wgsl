// Causal grouped-query attention over the KV cache, one query row per workgroup:
//   out[t, h, :] = Σ_{j ≤ pos0+t} softmax_j(SCALE · q[t, h]·k[j, g]) · v[j, g],  g = h / (H / KVH)
// Keys are visited in tiles of 64 with an online (running max, running sum) softmax, so any
// context length fits in fixed workgroup memory. Per tile: thread j scores key j (vec4 loads);
// every thread reads the tile's scores for the max; thread j writes its probability; then the
// thread of (dim quad dq, key subset s) accumulates quad dq over keys s, s+NSUB, … of the tile.
// Subsets are summed once, at the end.
// Bindings: 1 step · 2 q[T, H·HD] · 3 out[T, H·HD] · 6 k_cache[CTX, KVH·HD] · 7 v_cache
// ENCODER: bidirectional over a packed batch instead — token p of sequence b (its n tokens start
// at s, spans[b] = (s, n)) attends to keys s .. s + n of k/v activations [T, KVH·HD].
// Dispatch: (H, T); ENCODER (H, B · seq_len), row b · seq_len + p for token p of sequence b.
// Needs HD % 4 == 0, HD ≤ 256.  CPU reference: cpu::attention, cpu::encoder_attention.
#include "common/step.wgsl"
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> v_cache: array<vec4<f32>>;
#ifdef ENCODER
@group(0) @binding(8) var<storage, read> spans: array<vec2<u32>>;
var<workgroup> span_wg: vec2<u32>;
#endif

const WG: u32 = 64u;
const HD4: u32 = HD / 4u;
const NSUB: u32 = WG / HD4; // key subsets in the PV phase
const NEG: f32 = -3.0e38;

var<workgroup> qs: array<vec4<f32>, HD4>;
var<workgroup> scores: array<vec4<f32>, 16>;
var<workgroup> probs: array<f32, WG>;
var<workgroup> partial: array<vec4<f32>, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let h = wid.x;
#ifdef ENCODER
    if lid.x == 0u {
        span_wg = spans[wid.y / step.seq_len];
    }
    let span = workgroupUniformLoad(&span_wg);
    let p = wid.y % step.seq_len;
    if p >= span.y {
        return;
    }
    let t = span.x + p;
    let key0 = span.x;
    let n_keys = span.y;
#else
    let t = wid.y;
    if t >= step.n_tokens {
        return;
    }
    let key0 = 0u;
    let n_keys = step.pos0 + t + 1u;
#endif
    let g = h / (H / KVH);
    let qbase = (t * H + h) * HD4;
    if lid.x < HD4 {
        qs[lid.x] = q[qbase + lid.x] * SCALE;
    }
    workgroupBarrier();

    let dq = lid.x % HD4;
    let sub = lid.x / HD4;
    var m = NEG;
    var l = 0.0;
    var acc = vec4<f32>(0.0);
    for (var j0 = 0u; j0 < n_keys; j0 += WG) {
        let n_tile = min(WG, n_keys - j0);
        var s = NEG;
        if lid.x < n_tile {
            let kbase = ((key0 + j0 + lid.x) * KVH + g) * HD4;
            var d4 = vec4<f32>(0.0);
            for (var d = 0u; d < HD4; d++) {
                d4 += qs[d] * k_cache[kbase + d];
            }
            s = d4.x + d4.y + d4.z + d4.w;
        }
        scores[lid.x / 4u][lid.x % 4u] = s;
        workgroupBarrier();
        var mv = vec4<f32>(m);
        for (var i = 0u; i < 16u; i++) {
            mv = max(mv, scores[i]);
        }
        let m_new = max(max(mv.x, mv.y), max(mv.z, mv.w));
        var p = 0.0;
        if lid.x < n_tile {
            p = exp(s - m_new);
        }
        probs[lid.x] = p;
        workgroupBarrier();
        let corr = exp(m - m_new);
        var tile_sum = 0.0;
        for (var jj = 0u; jj < n_tile; jj++) {
            tile_sum += probs[jj];
        }
        l = l * corr + tile_sum;
        acc *= corr;
        if sub < NSUB {
            for (var jj = sub; jj < n_tile; jj += NSUB) {
                acc += probs[jj] * v_cache[((key0 + j0 + jj) * KVH + g) * HD4 + dq];
            }
        }
        m = m_new;
        workgroupBarrier();
    }
    partial[lid.x] = acc;
    workgroupBarrier();
    if lid.x < HD4 {
        var o = vec4<f32>(0.0);
        for (var s2 = 0u; s2 < NSUB; s2++) {
            o += partial[s2 * HD4 + lid.x];
        }
        out[qbase + lid.x] = o / l;
    }
}
