// Sum of one value per invocation over the workgroup, returned to every invocation:
// `workgroup_sum(lid, v)`. The workgroup has WG invocations (entry points use
// @workgroup_size(WG)): 64 summed by a tree in workgroup memory (barriers: call it in uniform
// control flow), or with SUBGROUPS (CPU emulations with subgroups of SG = 4 or 8 lanes) one
// subgroup summed by `subgroupAdd`, without the tree's 8 barriers, each a fiber or coroutine
// switch per subgroup on those emulators.
#ifdef SUBGROUPS
const WG: u32 = SG;

fn workgroup_sum(lid: u32, v: f32) -> f32 {
    return subgroupAdd(v);
}
#else
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
#endif
