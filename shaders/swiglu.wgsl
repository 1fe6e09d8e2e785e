// SwiGLU: out[t, i] = silu(gate[t, i]) · up[t, i],  silu(g) = g / (1 + e^−g), reading the
// stacked projection's rows gate_up[t] = (gate[t, 0..F], up[t, 0..F]).
// Bindings: 1 step · 2 gate_up[T, 2F] · 3 out[T, F].  Dispatch: (ceil(F/4 / 64), T).
// CPU reference: cpu::swiglu.
#include "common/step.wgsl"
@group(0) @binding(2) var<storage, read> gate_up: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;

const F4: u32 = F / 4u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let t = gid.y;
    if i >= F4 || t >= step.n_tokens {
        return;
    }
    let g = gate_up[t * 2u * F4 + i];
    out[t * F4 + i] = g / (1.0 + exp(-g)) * gate_up[t * 2u * F4 + F4 + i];
}
