using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Memtrace.Pipeline.Gpu;

public enum AcceleratorChoice
{
    Auto,
    Cuda,
    Cpu,
    /// <summary>ILGPU's CPU accelerator: slow (it emulates GPU threads), used to test the kernels without a GPU.</summary>
    IlgpuCpu,
}

/// <summary>
/// The one place that turns --accelerator into an ILGPU accelerator, or none: "cpu" and "auto"
/// without a CUDA device mean the plain Parallel.For path (ILGPU's CPU accelerator measured 5–7×
/// slower than Parallel.For on the 2-core build machine, so it only tests the kernels).
/// </summary>
public sealed class AcceleratorHost : IDisposable
{
    private readonly Context? _context;

    private AcceleratorHost(Context? context, Accelerator? accelerator)
    {
        _context = context;
        Accelerator = accelerator;
    }

    /// <summary>The ILGPU accelerator, or null for the plain multi-threaded C# path.</summary>
    public Accelerator? Accelerator { get; }

    /// <summary>Which device does the work: "cpu (Parallel.For)", or the ILGPU accelerator's name.</summary>
    public string Device => Accelerator is null ? "cpu (Parallel.For)" : $"{Accelerator.AcceleratorType}: {Accelerator.Name}";

    /// <summary>
    /// Whether an earlier Auto probe found no CUDA device. Devices do not come and go within a run, and a probe is an
    /// ILGPU context (CUDA driver load attempt, type setup): ~50 ms a stage on the build machine, paid twice a run.
    /// </summary>
    private static volatile bool _noCuda;

    public static AcceleratorHost Create(AcceleratorChoice choice)
    {
        if (choice == AcceleratorChoice.Auto && !_noCuda && !CudaDriverPresent()) _noCuda = true;
        if (choice == AcceleratorChoice.Cpu || (choice == AcceleratorChoice.Auto && _noCuda)) return new AcceleratorHost(null, null);
        var context = Context.Create(b => b.Cuda().CPU().EnableAlgorithms());
        try
        {
            if (choice == AcceleratorChoice.IlgpuCpu) return new AcceleratorHost(context, context.CreateCPUAccelerator(0));
            var cuda = context.GetCudaDevices();
            if (cuda.Count > 0) return new AcceleratorHost(context, cuda[0].CreateAccelerator(context));
            if (choice == AcceleratorChoice.Cuda) throw new InvalidOperationException("--accelerator cuda: no CUDA device found");
        }
        catch
        {
            context.Dispose();
            throw;
        }
        context.Dispose();
        _noCuda = true;
        return new AcceleratorHost(null, null);
    }

    /// <summary>
    /// Whether the CUDA driver library loads at all: without it there is no CUDA device, and the ILGPU context that would
    /// find that out cost a small run ~0.1 s (the bundled bcrafton snapshot's run: fragmentation stage 0.32 s with the
    /// context, 0.21 s without, on the 2-core build machine).
    /// </summary>
    private static bool CudaDriverPresent()
    {
        if (!System.Runtime.InteropServices.NativeLibrary.TryLoad(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", out var driver)) return false;
        System.Runtime.InteropServices.NativeLibrary.Free(driver);
        return true;
    }

    public void Dispose()
    {
        Accelerator?.Dispose();
        _context?.Dispose();
    }
}
