// Sum of one value per invocation over a workgroup of WG = 64, returned to every invocation.
// Must be called in uniform control flow (it contains barriers).
const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

fn workgroup_sum(lid: u32, v: f32) -> f32 {
    partial[lid] = v;
    workgroupBarrier();
    for (var w = WG / 2u; w > 0u; w /= 2u) {
        if lid < w {
            partial[lid] += partial[lid + w];
        }
        workgroupBarrier();
    }
    let s = partial[0];
    workgroupBarrier();
    return s;
}
