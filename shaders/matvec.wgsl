// Matrix-vector (decode): y[t, n] (+)= Σ_k x[t, k]·W[n, k]   (GGUF: W is [W_N rows × W_K cols], y = x·Wᵀ)
// Bindings: 2 x[T, W_K] · 3 y[T, W_N] · 4/5 W (common/weights.wgsl)
// Dispatch: (ceil(W_N / 8), T): a workgroup of 64 = 8 rows × 8 lanes; lanes stride over the
// row's 4-column quads (adjacent lanes read adjacent words) and reduce through shared memory.
// ACCUMULATE adds into y (fused residual add).  CPU reference: cpu::matmul.
#include "common/weights.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

const ROWS: u32 = 8u;
const LANES: u32 = 8u;
var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let t = wid.y;
    let r = lid.x / LANES;
    let lane = lid.x % LANES;
    let n = wid.x * ROWS + r;
    var acc = 0.0;
    if n < W_N {
        for (var q = lane; q < W_K4; q += LANES) {
            acc += dot(x[t * W_K4 + q], w_quad(n, q));
        }
    }
    partial[lid.x] = acc;
    workgroupBarrier();
    if lane == 0u && n < W_N {
        var s = 0.0;
        for (var l = 0u; l < LANES; l++) {
            s += partial[r * LANES + l];
        }
#ifdef ACCUMULATE
        y[t * W_N + n] += s;
#else
        y[t * W_N + n] = s;
#endif
    }
}
