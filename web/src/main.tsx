import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router';
import { type Lang, LangContext } from './i18n';
import { HolderPortal } from './pages/holder';
import { Home, InstitutionPortal, VerifyPage } from './pages/public';
import { StaffConsole, StaffLogin } from './pages/staff';

function Root() {
  const [lang, setLangState] = useState<Lang>(() => (localStorage.getItem('bdcert.lang') === 'en' ? 'en' : 'zh'));
  const setLang = (l: Lang) => {
    localStorage.setItem('bdcert.lang', l);
    document.documentElement.lang = l === 'en' ? 'en' : 'zh-CN';
    setLangState(l);
  };
  return (
    <LangContext.Provider value={{ lang, setLang }}>
      {/* Government-console look: antd default blue, a darker primary keeps text contrast ≥ 4.5:1 (WCAG AA). */}
      <ConfigProvider
        locale={lang === 'en' ? enUS : zhCN}
        theme={{ token: { colorPrimary: '#1456c8', borderRadius: 4 } }}
      >
        <AntApp>
          <BrowserRouter>
            <Routes>
              <Route path="/" element={<Home />} />
              <Route path="/login" element={<StaffLogin />} />
              <Route path="/console/*" element={<StaffConsole />} />
              <Route path="/holder/*" element={<HolderPortal />} />
              <Route path="/institution/*" element={<InstitutionPortal />} />
              <Route path="/verify" element={<VerifyPage />} />
              <Route path="/verify/:token" element={<VerifyPage />} />
              <Route path="/v/:token" element={<VerifyPage />} />
              <Route path="*" element={<Home />} />
            </Routes>
          </BrowserRouter>
        </AntApp>
      </ConfigProvider>
    </LangContext.Provider>
  );
}

const el = document.getElementById('root');
if (el)
  createRoot(el).render(
    <StrictMode>
      <Root />
    </StrictMode>,
  );
