import sys; sys.path.insert(0, "/tmp/qa16g")
import warnings; warnings.filterwarnings("ignore")
from common import *
import regions
win = float(sys.argv[1]); seeds = range(int(sys.argv[2]), int(sys.argv[3]))
out = open(f"/tmp/qa16g/stress_{int(win)}_{sys.argv[2]}.jsonl", "w")
t00 = time.time()
for seed in seeds:
    if time.time() - t00 > 150: break
    r = np.random.default_rng(seed)
    n = 1500
    X = np.stack([1.7e9 + r.uniform(0, win, n), r.uniform(0, 5, n)], 1)
    m, s = X.mean(0), X.std(0); Z = (X - m) / s
    y = (np.sin(2 * Z[:, 0]) + np.cos(3 * Z[:, 1]) > 0.2 * Z[:, 0] * Z[:, 1]).astype(np.int64)
    torch.manual_seed(seed)
    arch = [[32, 32], [48, 48], [16, 16, 16], [64]][seed % 4]
    net = mlp(arch, 2); train(net, Z, y, "cls2", steps=300)
    norm = nn.Linear(2, 2)
    with torch.no_grad():
        norm.weight.copy_(torch.diag(torch.tensor(1 / s, dtype=torch.float32))); norm.bias.copy_(torch.tensor(-m / s, dtype=torch.float32))
    model = nn.Sequential(norm, *net).eval()
    box = bbox_of(X)
    W = norm.weight.detach().double().numpy(); b = norm.bias.detach().double().numpy()
    lo = W @ np.array(box[:2]) + b; hi = W @ np.array(box[2:]) + b
    nbox = (lo[0], lo[1], hi[0], hi[1])
    c_raw = regions.count_regions(model, box, progress=False)
    c_n = regions.count_regions(net, nbox, progress=False)
    rr = dict(seed=seed, win=win, arch=arch, raw=c_raw, norm=c_n)
    if c_raw != c_n:
        p = regions.linear_regions(model, box, progress=False)
        try: p.verify(); rr["verify"] = "ok"
        except Exception as e: rr["verify"] = str(e)[:200]
        pn = regions.linear_regions(net, nbox, progress=False)
        try: pn.verify(); rr["nverify"] = "ok"
        except Exception as e: rr["nverify"] = str(e)[:200]
        torch.save(model.state_dict(), f"/tmp/qa16g/repro/stress_{int(win)}_{seed}.pt")
        rr["box"] = box
    print(json.dumps(rr), flush=True); out.write(json.dumps(rr) + "\n"); out.flush()
